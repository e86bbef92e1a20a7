/** The actor of changes the platform makes itself (imports, a model that fails to load). */
export const SYSTEM_ACTOR = { name: 'system', user_id: null, token_id: null, client_ip: null, request_id: null };
//# sourceMappingURL=identity-messages.js.map