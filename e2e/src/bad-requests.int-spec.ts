import { describeBadRequests } from './bad-requests.suite.js';
import { startStandaloneSystem, TEST_ADMIN_TOKEN } from './support/system.js';

describeBadRequests('standalone', () => startStandaloneSystem(), TEST_ADMIN_TOKEN);
