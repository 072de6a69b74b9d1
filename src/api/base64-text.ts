/** Text of the standard base64 alphabet with at most two `=` of padding (whether padding is required is the caller's). */
export const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;
