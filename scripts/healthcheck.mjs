// Container health probes with node alone: the runtime image has no curl, no grpc_health_probe, nothing downloaded.
//   node scripts/healthcheck.mjs engine [host:port]   GET /ready: exit 0 on 200 (503 while starting, not ready or draining)
//   node scripts/healthcheck.mjs pool [host:port]     grpc.health.v1.Health/Check (service ""): exit 0 on SERVING
// Defaults: 127.0.0.1 and PORT (2567) or INFERENCE_PORT (50051), the variables the process in the same container reads.
// Plain .mjs, like build-web.mjs: the image runs dist/ with production dependencies only (no tsx).
import { Client, credentials } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

/** Docker runs the probe with its own timeout too; this one keeps a hung peer from holding the probe that long. */
const PROBE_TIMEOUT_MS = 3_000;

const PROBES = {
  engine: { defaultPort: process.env.PORT || "2567", probe: probeEngine },
  pool: { defaultPort: process.env.INFERENCE_PORT || "50051", probe: probePool },
};

/** `/ready` answers 200 only when the database answers, rooms accept clients and the process is not draining. */
async function probeEngine(address) {
  const response = await fetch(`http://${address}/ready`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET /ready answered ${response.status}: ${body.slice(0, 300)}`);
}

/** The health service needs no token (it tells SERVING / NOT_SERVING only), so the probe holds no secret. */
function probePool(address) {
  const check = healthService.Check;
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service: "" },
      { deadline: Date.now() + PROBE_TIMEOUT_MS },
      (error, response) => {
        client.close();
        if (error) reject(new Error(`grpc.health.v1 Check failed: ${error.message}`));
        else if (response?.status !== "SERVING") reject(new Error(`grpc.health.v1 Check answered ${response?.status ?? "nothing"}`));
        else resolve();
      },
    );
  });
}

const [kind, address] = process.argv.slice(2);
const probe = PROBES[kind ?? ""];
if (probe === undefined) {
  process.stderr.write("usage: node scripts/healthcheck.mjs engine|pool [host:port]\n");
  process.exit(2);
}
probe.probe(address ?? `127.0.0.1:${probe.defaultPort}`).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${kind} unhealthy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
