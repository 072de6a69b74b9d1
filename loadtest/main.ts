import { writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { LOAD_USAGE, LoadUsageError, parseLoadArgs } from "./load-options.js";
import { formatSummary } from "./load-report.js";
import { runLoad } from "./load-run.js";

/** `npm run loadtest -- …`: one load run, a live progress line, a summary table, the JSON result. */
async function main(): Promise<void> {
  let options;
  try {
    options = parseLoadArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof LoadUsageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`${error.message}\n\n${LOAD_USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(`${LOAD_USAGE}\n`);
    return;
  }
  const tty = process.stderr.isTTY;
  const result = await runLoad(options, {
    progress: (line) => process.stderr.write(tty ? `\r${line.slice(0, (process.stderr.columns ?? 160) - 1)}\x1b[K` : `${line}\n`),
  });
  if (tty) process.stderr.write("\n");
  process.stdout.write(`${formatSummary(result)}\n`);
  if (options.jsonPath !== null) {
    await mkdir(dirname(options.jsonPath), { recursive: true });
    await writeFile(options.jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`JSON: ${options.jsonPath}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`load test failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
