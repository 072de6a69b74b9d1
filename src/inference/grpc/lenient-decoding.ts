import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/**
 * grpc-js answers a request that does not decode with INTERNAL ("Error deserializing request") and ends the call.
 * The pool instead hands its handlers a `Malformed` marker, so a garbled message gets the pool's stable
 * `invalid_audio` answer and, on StreamAudio, the call's other streams keep going.
 */

const MALFORMED: unique symbol = Symbol("malformed message");

export interface Malformed {
  readonly [MALFORMED]: string;
}

export function isMalformed(value: unknown): value is Malformed {
  return typeof value === "object" && value !== null && MALFORMED in value;
}

/** Why the message did not decode (protobuf's own words: no client data in it). */
export function malformedReason(value: Malformed): string {
  return value[MALFORMED];
}

function decodeLeniently<T>(decode: (bytes: Buffer) => T): (bytes: Buffer) => T | Malformed {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (error) {
      return { [MALFORMED]: error instanceof Error ? error.message : "undecodable" };
    }
  };
}

/** The same service whose request decoders return `Malformed` instead of throwing. */
export function withLenientDecoding(service: ServiceDefinition): ServiceDefinition {
  const methods = Object.entries(service).map(([name, method]: [string, MethodDefinition<unknown, unknown>]) => [
    name,
    { ...method, requestDeserialize: decodeLeniently(method.requestDeserialize) },
  ]);
  return Object.fromEntries(methods) as ServiceDefinition;
}
