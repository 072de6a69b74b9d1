import type { TextMessage } from "../../src/protocol/client-messages.js";
import type { ErrorMessage, TextBroadcastMessage } from "../../src/protocol/server-messages.js";
import { chatErrorText } from "./error-text.js";
import { appendChatMessage, type View } from "./view.js";

/**
 * The chat form and its list. Messages are shown as the engine relays them (to everyone, the sender included), so
 * the list is what every participant sees; a refused one gets the engine's reason and its text back in the field.
 */
export class Chat {
  readonly #view: View;
  readonly #send: (message: TextMessage) => void;
  /** The last message sent and not yet relayed back: restored into the field if the engine refuses it. */
  #pending: string | null = null;

  constructor(view: View, send: (message: TextMessage) => void) {
    this.#view = view;
    this.#send = send;
    view.chatForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
  }

  enable(enabled: boolean): void {
    this.#view.chatInput.disabled = !enabled;
    this.#view.chatSend.disabled = !enabled;
  }

  receive(message: TextBroadcastMessage, selfId: string): void {
    const self = message.from === selfId;
    if (self) this.#pending = null;
    appendChatMessage(this.#view.chat, `${message.name || message.from}${self ? " (you)" : ""}`, message.content, message.at);
  }

  refused(error: ErrorMessage): void {
    this.#view.chatError.textContent = chatErrorText(error);
    if (this.#pending !== null && this.#view.chatInput.value === "") this.#view.chatInput.value = this.#pending;
    this.#pending = null;
    this.#view.chatInput.focus();
  }

  #submit(): void {
    const content = this.#view.chatInput.value;
    if (content.trim() === "") return;
    this.#view.chatError.textContent = "";
    this.#pending = content;
    this.#view.chatInput.value = "";
    this.#send({ content });
  }
}
