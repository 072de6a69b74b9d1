/**
 * What the bench's students say and what the stand-in LLM answers: short spoken questions (no commas: a pause inside
 * a question would end the student's turn early), each with a tutor-like reply of two sentences, and requests for a
 * long explanation that the next question speaks over. Pure: the audio is made in tutor-speech.ts.
 */

export interface ScriptedQuestion {
  text: string;
  reply: string;
}

export const QUESTIONS: readonly ScriptedQuestion[] = [
  { text: "What is the capital of France", reply: "The capital of France is Paris. It sits on the river Seine in the north of the country." },
  { text: "How many legs does a spider have", reply: "A spider has eight legs in total. Insects have six, which is one way to tell them apart." },
  { text: "Why is the sky blue during the day", reply: "Sunlight scatters off the air above us. Blue light scatters the most, so the whole sky looks blue." },
  { text: "What is seven times eight", reply: "Seven times eight is fifty six. You can check it by adding seven eight times." },
  { text: "Can you explain what a fraction is", reply: "A fraction is a part of a whole. The bottom number says how many equal parts there are." },
  { text: "How do plants make their own food", reply: "Plants make food from sunlight and water. The process is called photosynthesis and it happens in the leaves." },
  { text: "What is the largest planet in our solar system", reply: "Jupiter is the largest planet we have. It is so big that all the others would fit inside it." },
  { text: "Who wrote the play Romeo and Juliet", reply: "William Shakespeare wrote Romeo and Juliet. He wrote it more than four hundred years ago." },
  { text: "What does the word noun mean", reply: "A noun is a word for a thing. Dog, city and happiness are all nouns." },
  { text: "How far away is the moon", reply: "The moon is about four hundred thousand kilometres away. Light takes just over one second to get there." },
];

/** Questions whose reply is long, so that the student can speak over it. */
export const LONG_QUESTIONS: readonly string[] = [
  "Tell me all about rivers please",
  "Explain how volcanoes work",
  "Tell me the story of the Roman empire",
];

/** A reply of a dozen sentences: about 40 s of speech, far longer than the student waits before speaking over it. */
export const LONG_REPLY = [
  "That is a big topic, so let us take it step by step.",
  "Everything starts high up in the hills, where rain and melting snow gather into small streams.",
  "The streams run downhill and join each other, growing wider and stronger as they go.",
  "Near its source the water moves fast and cuts deep valleys into the rock.",
  "Further down the land gets flatter, and the water slows and starts to wind from side to side.",
  "Those wide bends are called meanders, and they slowly move across the valley floor over many years.",
  "When the water floods, it spreads mud and sand over the land beside it, which makes the soil rich for farming.",
  "That is why so many towns and cities grew up along the banks.",
  "At the very end the water meets the sea, often at a wide mouth called an estuary.",
  "Some drop so much sand there that they build a delta, a fan of new land reaching into the sea.",
  "Along the whole way they give homes to fish, birds, insects and plants.",
  "Which part of that journey would you like to look at more closely?",
].join(" ");

/** eSpeak NG voices the students speak with, one per session in turn. */
export const STUDENT_VOICES = ["en-us", "en-gb", "en-us+f3"] as const;

export interface PlannedQuestion {
  /** Position in the session's turns, from 0. */
  index: number;
  text: string;
  voice: string;
  /** What the stand-in LLM answers to it. */
  reply: string;
  /** Its reply is long, and the next question speaks over it. */
  longReply: boolean;
  /** It is spoken while the tutor speaks its reply to the question before. */
  interrupting: boolean;
}

/**
 * The turns whose reply the next question speaks over: from the second-to-last back, every other one (so an
 * interrupting question gets a short answer heard to its end), then any left, nearest the end first.
 */
export function longReplyTurns(turns: number, bargeIns: number): Set<number> {
  const chosen = new Set<number>();
  for (let index = turns - 2; index >= 0 && chosen.size < bargeIns; index -= 2) chosen.add(index);
  for (let index = turns - 2; index >= 0 && chosen.size < bargeIns; index -= 1) chosen.add(index);
  return chosen;
}

/** Session `session`'s questions: each session starts at a different place in the list and speaks with its own voice. */
export function sessionPlan(session: number, turns: number, bargeIns: number): PlannedQuestion[] {
  const long = longReplyTurns(turns, bargeIns);
  const voice = STUDENT_VOICES[session % STUDENT_VOICES.length] ?? "en-us";
  let longAsked = 0;
  return Array.from({ length: turns }, (_, index): PlannedQuestion => {
    const interrupting = long.has(index - 1);
    if (long.has(index)) {
      const text = LONG_QUESTIONS[(session + longAsked) % LONG_QUESTIONS.length] ?? "";
      longAsked += 1;
      return { index, text, voice, reply: LONG_REPLY, longReply: true, interrupting };
    }
    const question = QUESTIONS[(session * 3 + index) % QUESTIONS.length] ?? { text: "", reply: "" };
    return { index, text: question.text, voice, reply: question.reply, longReply: false, interrupting };
  });
}

/** The first sentence of a reply (as the engine's chunker cuts it: at terminal punctuation followed by a space). */
export function firstSentence(reply: string): string {
  const match = /^.*?[.!?](?=\s|$)/su.exec(reply);
  return (match?.[0] ?? reply).trim();
}

/**
 * The stand-in LLM's own time to the first sentence of a reply of several: the engine's chunker completes a sentence
 * when the next token (a word with its leading space) arrives, so it is (words of the sentence + 1) × the interval,
 * the first token included. The rest of the engine's `llm_first_sentence_ms` is the request's own cost.
 */
export function llmPaceToFirstSentenceMs(reply: string, tokenIntervalMs: number): number {
  const words = firstSentence(reply).split(/\s+/u).filter((word) => word !== "").length;
  return (words + 1) * tokenIntervalMs;
}
