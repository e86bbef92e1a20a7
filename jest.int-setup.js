// Integration tests start databases and processes: a minute per test and per hook, not Jest's 5 s.
// (testTimeout is a global option, so the int project sets it here.)
import { jest } from '@jest/globals';

jest.setTimeout(60_000);
