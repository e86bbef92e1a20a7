import { requireTestDatabaseUrl } from '@modelyard/testing';
import { describeAccessMatrix } from './access-matrix.suite.js';
import { describeAuditCompleteness } from './audit-completeness.suite.js';
import { describeAuditTampering } from './audit-tampering.suite.js';
import { describeModelVisibility } from './model-visibility.suite.js';
import { startDistributedSystem } from './support/system.js';

const serverUrl = requireTestDatabaseUrl();

// Access control across processes: the gateway checks, the registry scopes its queries, inference
// workers on BullMQ run the test calls, S3 keeps the files.
describeAccessMatrix('distributed: five processes on PostgreSQL, Kafka, Redis, S3', (env) => startDistributedSystem(serverUrl, { infrastructure: true, env }));
describeModelVisibility('distributed: five processes on PostgreSQL, Kafka, Redis, S3', (env) => startDistributedSystem(serverUrl, { infrastructure: true, env }));
// The audit log is the registry's: gateway and registry processes on PostgreSQL are enough.
describeAuditCompleteness('distributed: gateway + registry processes, PostgreSQL', (env) => startDistributedSystem(serverUrl, { env }));
describeAuditTampering('distributed: gateway + registry processes, PostgreSQL', (env) => startDistributedSystem(serverUrl, { env }));
