import { SessionRoom } from "./session-room.js";

/**
 * A tutoring session between a student and a tutor: live when the student joins. The per-tutor model instance and
 * the turn loop (speech → reply → speech) will hang off this class.
 */
export abstract class TutoringRoom extends SessionRoom {}
