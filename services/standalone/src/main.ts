import { runProcess } from '@modelyard/platform';
import { startStandalone } from './standalone.js';

/** `npm start`: Modelyard in one process, data in MODELYARD_DATA_DIR. */
await runProcess('standalone', async () => {
  const started = performance.now();
  const modelyard = await startStandalone();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [``, `Modelyard is running at ${modelyard.url}  (API docs: ${modelyard.url}/api/docs; ready in ${seconds} s)`];
  if (modelyard.generatedAdminToken) {
    lines.push(
      ``,
      `An admin token was generated. It is shown this once; only its hash is stored:`,
      `  ${modelyard.generatedAdminToken}`,
      `Use it as a bearer token, for example:`,
      `  curl -H "Authorization: Bearer ${modelyard.generatedAdminToken}" ${modelyard.url}/api/v1/ai-models/`,
      `(Lost it? Delete the admin-token.sha256 file in the data folder and restart, or set MODELYARD_ADMIN_TOKEN.)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  return () => modelyard.close();
});
