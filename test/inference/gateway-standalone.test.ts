/**
 * The gateway contract on a standalone pool worker (`src/inference-main.ts` in its own process, as
 * `npm run inference` runs it), reached as the engine reaches INFERENCE_URLS: `GrpcInferenceGateway` with the token.
 */
import { GrpcInferenceGateway } from "../../src/inference/inference-gateway.js";
import { spawnPool, stopPool, TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { describeGatewayContract } from "./gateway-contract.js";

describeGatewayContract("a standalone pool worker over gRPC", async () => {
  const worker = await spawnPool({ INFERENCE_PORT: "0" }, 60_000);
  const gateway = new GrpcInferenceGateway([worker.address], TEST_INFERENCE_TOKEN);
  return {
    gateway,
    pools: 1,
    async teardown() {
      gateway.close();
      await stopPool(worker);
    },
  };
});
