import busboy from "busboy";
import type { Request, RequestHandler, Response } from "express";
import { EngineError, isEngineError } from "../errors.js";
import { refuseDeclaredOver } from "./body-limits.js";

/** Largest uploaded file (a 10-minute 48 kHz stereo 16-bit WAV is 110 MB; 64 MB holds 10 minutes of mono 48 kHz). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Room for the multipart framing and text fields around the file when a declared length is checked before reading. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** What a bounded multipart upload may hold besides its one file. */
export interface MultipartOptions {
  /** The file's form field; null → the first file, whatever its field is called. */
  fileField: string | null;
  /** Text fields kept (others are read and dropped); each at most `maxFieldBytes`. */
  fields: readonly string[];
  maxFieldBytes: number;
  maxFileBytes: number;
}

export const DEFAULT_MULTIPART_OPTIONS: MultipartOptions = { fileField: null, fields: [], maxFieldBytes: 16 * 1024, maxFileBytes: MAX_UPLOAD_BYTES };

export interface MultipartUpload {
  file: Uint8Array;
  /** The kept text fields that were sent (the first of each name). */
  fields: Record<string, string>;
}

/** A declared length over the upload's bound is refused before a byte is read (see `refuseDeclaredOver`). */
export function refuseUploadOver(maxFileBytes: number = MAX_UPLOAD_BYTES): RequestHandler {
  return refuseDeclaredOver(maxFileBytes + MULTIPART_OVERHEAD_BYTES);
}

/**
 * Reads a multipart upload with one file, bounded: the file, then the kept text fields, once the whole form is read.
 * Rejects `payload_too_large` past `maxFileBytes` (and closes the connection after the answer: the rest of the
 * upload is not worth reading) and `invalid_request` for a body that is not multipart, a form without the file or
 * with an over-long field.
 */
export async function readMultipart(req: Request, res: Response, options: Partial<MultipartOptions> = {}): Promise<MultipartUpload> {
  const limits = { ...DEFAULT_MULTIPART_OPTIONS, ...options };
  return parseMultipart(req, limits).catch((error: unknown) => {
    if (isEngineError(error, "payload_too_large")) res.setHeader("Connection", "close");
    throw error;
  });
}

function parseMultipart(req: Request, limits: MultipartOptions): Promise<MultipartUpload> {
  const fieldName = limits.fileField === null ? "file" : limits.fileField;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: limits.maxFileBytes, fields: 10, fieldSize: limits.maxFieldBytes, parts: 12 },
      });
    } catch {
      reject(new EngineError("invalid_request", `expected a multipart/form-data upload with the audio file in field "${fieldName}"`));
      return;
    }
    let file: Uint8Array | null = null;
    const fields: Record<string, string> = {};
    let failure: EngineError | null = null;
    const fail = (error: EngineError) => {
      failure ??= error;
      reject(failure);
    };
    const unreadable = () => fail(new EngineError("invalid_request", "the multipart body could not be read"));
    parser.on("file", (name, stream) => {
      if (limits.fileField !== null && name !== limits.fileField) {
        stream.resume();
        fail(new EngineError("invalid_request", `the file must be sent in field "${limits.fileField}"`, { details: [{ path: `body.${limits.fileField}`, message: "required" }] }));
        return;
      }
      const parts: Buffer[] = [];
      stream.on("data", (data: Buffer) => parts.push(data));
      stream.on("limit", () => fail(new EngineError("payload_too_large", `uploads are limited to ${limits.maxFileBytes / 1024 / 1024} MB`)));
      // A form that ends inside the file ("Unexpected end of form") fails the file stream: unhandled, it would be
      // an uncaught exception.
      stream.on("error", unreadable);
      stream.on("end", () => {
        file = new Uint8Array(Buffer.concat(parts));
      });
    });
    parser.on("field", (name, value, info) => {
      if (!limits.fields.includes(name) || Object.hasOwn(fields, name)) return;
      if (info.valueTruncated) {
        fail(new EngineError("invalid_request", `field "${name}" is over ${limits.maxFieldBytes / 1024} KB`, { details: [{ path: `body.${name}`, message: "too long" }] }));
        return;
      }
      fields[name] = value;
    });
    parser.on("error", unreadable);
    parser.on("close", () => {
      if (failure !== null) return;
      if (file === null) {
        fail(new EngineError("invalid_request", "no file in the upload", { details: [{ path: `body.${fieldName}`, message: "an audio file is required" }] }));
        return;
      }
      resolve({ file, fields });
    });
    // A client gone before the end of its upload: nothing more will come, and nobody is left to answer.
    req.once("close", () => {
      if (!req.complete) unreadable();
    });
    req.pipe(parser);
  });
}
