/**
 * Why a join was refused. Colyseus carries a numeric code and a message to the SDK; the message is always the
 * stable string code below, and the number is its fixed pair, so clients can match on either.
 */
export const JOIN_REJECTIONS = {
  token_missing: 4401,
  token_invalid: 4402,
  token_expired: 4403,
  token_wrong_session: 4404,
  role_not_allowed: 4405,
  session_not_found: 4406,
  join_by_id_only: 4407,
  session_full: 4409,
  session_ended: 4410,
} as const;

export type JoinRejectionCode = keyof typeof JOIN_REJECTIONS;

export class JoinRejection extends Error {
  readonly code: JoinRejectionCode;
  readonly retryable = false;

  constructor(code: JoinRejectionCode, detail?: string) {
    super(detail === undefined ? code : `${code}: ${detail}`);
    this.name = "JoinRejection";
    this.code = code;
  }

  get numericCode(): number {
    return JOIN_REJECTIONS[this.code];
  }
}
