export { startRegistry, type RegistryApp } from './registry.app.js';
export { runRegistryMigrations, registryDataSourceOptions, REGISTRY_ENTITIES, REGISTRY_MIGRATIONS } from './data-source.js';
