/**
 * The gateway contract on the engine's default inference: the pool in a worker thread of this process on loopback
 * gRPC, reached through the gateway the engine itself builds (`engine.inference`), not a copy of its wiring.
 */
import { startTestEngine } from "../support/engine.js";
import { describeGatewayContract } from "./gateway-contract.js";

describeGatewayContract("the engine's in-process pool", async () => {
  const t = await startTestEngine();
  if (t.engine.pool === null) {
    await t.close();
    throw new Error("the test engine started no in-process pool");
  }
  // The engine closes its gateway and pool as it stops.
  return { gateway: t.engine.inference, pools: 1, teardown: () => t.close() };
});
