export * from './process.util.js';
export * from './api-client.util.js';
export * from './model.factory.js';
export * from './database.util.js';
export * from './migrations.contract.js';
export * from './wait-for.util.js';
export * from './contracts/index.js';
