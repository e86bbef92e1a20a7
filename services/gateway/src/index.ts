export { startGateway, type GatewayApp, type GatewayOptions } from './gateway.app.js';
export { ApiTokens, bootstrapAdminToken, ADMIN_TOKEN_HASH_FILE, type AdminTokenBootstrap } from './auth/admin-token.js';
export { MULTIPART_OVERHEAD_BYTES } from './uploads/upload-limits.constant.js';
