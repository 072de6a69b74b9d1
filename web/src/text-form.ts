/** The elements of a one-line text form: its field, its button and where a refusal is shown. */
export interface TextFormElements {
  form: HTMLFormElement;
  input: HTMLInputElement;
  send: HTMLButtonElement;
  error: HTMLElement;
}

/**
 * A form that sends one line of text. The field is emptied on sending; a message the engine refuses gets its reason
 * shown and its text back in the field (unless the user has typed something else since).
 */
export class TextForm {
  readonly #elements: TextFormElements;
  /** The last message sent and not yet relayed back: restored into the field if the engine refuses it. */
  #pending: string | null = null;

  constructor(elements: TextFormElements, send: (content: string) => void) {
    this.#elements = elements;
    elements.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const content = elements.input.value;
      if (content.trim() === "") return;
      elements.error.textContent = "";
      this.#pending = content;
      elements.input.value = "";
      send(content);
    });
  }

  enable(enabled: boolean): void {
    this.#elements.input.disabled = !enabled;
    this.#elements.send.disabled = !enabled;
  }

  /** The engine relayed the message back: it was accepted. */
  delivered(): void {
    this.#pending = null;
  }

  refused(text: string): void {
    this.#elements.error.textContent = text;
    if (this.#pending !== null && this.#elements.input.value === "") this.#elements.input.value = this.#pending;
    this.#pending = null;
    this.#elements.input.focus();
  }
}
