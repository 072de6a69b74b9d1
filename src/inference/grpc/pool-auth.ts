import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  InterceptingCall,
  Metadata,
  ServerInterceptingCall,
  status as grpcStatus,
  type Interceptor,
  type ServerInterceptor,
} from "@grpc/grpc-js";

/**
 * The pool's shared secret (INFERENCE_TOKEN): every call of the `Inference` service carries
 * `authorization: Bearer <token>`; the server checks it before the handler runs, so a refused call opens nothing.
 */

export const MIN_INFERENCE_TOKEN_CHARS = 32;
const AUTHORIZATION = "authorization";
const BEARER = /^Bearer (.+)$/;

/** A new random token (43 base64url characters). */
export function generateInferenceToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Compares equal-length digests so the time taken says nothing about the secret or its length. */
export function tokensMatch(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Why a call's metadata is refused, or null when it carries the token. */
export function authProblem(metadata: Metadata, token: string): string | null {
  const values = metadata.get(AUTHORIZATION);
  if (values.length === 0) return "missing authorization metadata";
  const value = values[0];
  if (values.length > 1 || typeof value !== "string") return "malformed authorization metadata";
  const match = BEARER.exec(value);
  if (match?.[1] === undefined) return "authorization is not a bearer token";
  return tokensMatch(match[1], token) ? null : "wrong inference token";
}

/** Client side: adds the bearer token to every call made through the client. */
export function bearerInterceptor(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION, `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/**
 * Server side: a call whose path starts with one of `protectedPrefixes` and lacks the token ends with
 * UNAUTHENTICATED (`unauthorized: ...`) without reaching its handler; other services (health) pass.
 */
export function authServerInterceptor(token: string, protectedPrefixes: readonly string[], onRefused: () => void): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, mdNext) {
            if (!protectedPrefixes.some((prefix) => method.path.startsWith(prefix))) return mdNext(metadata);
            const problem = authProblem(metadata, token);
            if (problem === null) return mdNext(metadata);
            onRefused();
            call.sendStatus({ code: grpcStatus.UNAUTHENTICATED, details: `unauthorized: ${problem}` });
          },
        });
      },
    });
}
