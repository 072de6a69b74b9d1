import type { TextMessage } from "../../src/protocol/client-messages.js";
import type { ErrorMessage, TextBroadcastMessage } from "../../src/protocol/server-messages.js";
import { chatErrorText } from "./error-text.js";
import { TextForm, type TextFormElements } from "./text-form.js";
import { appendChatMessage, type View } from "./view.js";

/**
 * The chat form and its list. Messages are shown as the engine relays them (to everyone, the sender included), so
 * the list is what every participant sees; a refused one gets the engine's reason and its text back in the field of
 * the form that sent it (the chat's, or another sending `text`: the tutor panel's question box).
 */
export class Chat {
  readonly #view: View;
  readonly #send: (message: TextMessage) => void;
  readonly #forms: TextForm[] = [];
  readonly #own: TextForm;
  /** The form that sent last: the engine answers messages in order, so a relay or refusal is its message's. */
  #last: TextForm | null = null;
  #enabled = false;

  constructor(view: View, send: (message: TextMessage) => void) {
    this.#view = view;
    this.#send = send;
    this.#own = this.attach({ form: view.chatForm, input: view.chatInput, send: view.chatSend, error: view.chatError });
  }

  /** Another form whose messages are sent as chat messages. */
  attach(elements: TextFormElements): TextForm {
    const form = new TextForm(elements, (content) => {
      this.#last = form;
      this.#send({ content });
    });
    form.enable(this.#enabled);
    this.#forms.push(form);
    return form;
  }

  enable(enabled: boolean): void {
    this.#enabled = enabled;
    for (const form of this.#forms) form.enable(enabled);
  }

  receive(message: TextBroadcastMessage, selfId: string): void {
    const self = message.from === selfId;
    if (self) this.#last?.delivered();
    appendChatMessage(this.#view.chat, `${message.name || message.from}${self ? " (you)" : ""}`, message.content, message.at);
  }

  refused(error: ErrorMessage): void {
    (this.#last ?? this.#own).refused(chatErrorText(error));
  }
}
