import { configFromEnv } from "./config.js";
import { configOrExit } from "./env-fields.js";
import { createDemoMeeting } from "./demo-meeting.js";
import { startEngine } from "./engine.js";
import { createLogger } from "./logger.js";
import { guardProcess } from "./process-guards.js";
import { StartupError } from "./startup-checks.js";

/** `npm start`: the engine on embedded defaults unless the environment names real services. */
async function main(): Promise<void> {
  const config = configOrExit(() => configFromEnv());
  const logger = createLogger(config.logLevel);
  const engine = await startEngine(config, logger);

  const lines = [
    "",
    `  Session engine ready on ${engine.httpUrl}  (WebSocket ${engine.engineUrl})`,
    `  API docs:  ${engine.httpUrl}/docs`,
  ];
  if (engine.adminKeyGenerated) {
    lines.push(`  Admin API key (kept in ${engine.secretsFile ?? "the data folder"}; set ADMIN_API_KEY to choose your own):`);
    lines.push(`    ${engine.adminApiKey}`);
    lines.push(`  Try:  curl -H "Authorization: Bearer ${engine.adminApiKey}" -H "Content-Type: application/json" \\`);
    lines.push(`          -d '{"kind":"meeting"}' ${engine.httpUrl}/api/v1/sessions`);
  }
  if (config.databaseUrl === null && config.redisUrl === null && process.env["NODE_ENV"] !== "production") {
    // A convenience only: failing to make it (MAX_SESSIONS reached by leftovers, say) must not stop the engine.
    try {
      const demo = await createDemoMeeting(engine);
      lines.push(`  Demo meeting: open in a browser to join as host (link valid until ${demo.expiresAt.toISOString()}):`);
      lines.push(`    ${demo.link}`);
    } catch (error) {
      logger.warn({ err: error }, "demo meeting not created");
    }
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);

  guardProcess({ stop: () => engine.stop(), logger, onFault: () => engine.metrics.error("process", "internal") });
}

main().catch((error: unknown) => {
  // A failure the user can fix is one line naming what to change; anything else keeps its stack.
  const text = error instanceof StartupError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`engine failed to start: ${text}\n`);
  process.exit(1);
});
