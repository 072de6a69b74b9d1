/**
 * Why a join was refused. Colyseus answers the SDK's matchmaking request with the numeric code as the HTTP status
 * (so it must lie in 200–599) and the message; the message is always the stable string code below and the number
 * its fixed pair (440–450, unassigned in HTTP), so clients can match on either.
 */
export const JOIN_REJECTIONS = {
  token_missing: 440,
  token_invalid: 441,
  token_expired: 442,
  token_wrong_session: 443,
  role_not_allowed: 445,
  session_not_found: 446,
  join_by_id_only: 447,
  session_full: 448,
  session_ended: 449,
  invalid_join_options: 450,
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
