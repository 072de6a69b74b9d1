import { readFile, writeFile } from "node:fs/promises";
import { withErrorTable } from "../src/protocol/error-table-markdown.js";

/** `npm run docs:errors`: rewrites the README's error table from src/protocol/error-codes.ts. */
const path = new URL("../README.md", import.meta.url);
await writeFile(path, withErrorTable(await readFile(path, "utf8")));
process.stdout.write("README.md: error table rewritten\n");
