/** drizzle-kit configuration: `npm run db:generate` writes SQL migrations for the schema into `drizzle/`. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/persistence/schema.ts",
  out: "./drizzle",
});
