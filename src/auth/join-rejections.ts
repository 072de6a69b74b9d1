import { ERROR_TABLE, isRetryable, type JoinErrorCode } from "../protocol/error-codes.js";

/**
 * Why a join was refused. Colyseus answers the SDK's matchmaking request with the numeric code as the HTTP status
 * (so it must lie in 200–599) and the message; the message is always the stable string code and the number its fixed
 * pair from the error table (440–450, unassigned in HTTP), so clients can match on either.
 */
export type JoinRejectionCode = JoinErrorCode;

export const JOIN_REJECTIONS = Object.fromEntries(
  Object.entries(ERROR_TABLE).flatMap(([code, spec]) => ("join" in spec ? [[code, spec.join]] : [])),
) as { readonly [K in JoinRejectionCode]: (typeof ERROR_TABLE)[K]["join"] };

export class JoinRejection extends Error {
  readonly code: JoinRejectionCode;
  readonly retryable: boolean;

  constructor(code: JoinRejectionCode, detail?: string) {
    super(detail === undefined ? code : `${code}: ${detail}`);
    this.name = "JoinRejection";
    this.code = code;
    this.retryable = isRetryable(code);
  }

  get numericCode(): number {
    return JOIN_REJECTIONS[this.code];
  }
}
