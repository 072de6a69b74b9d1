/**
 * Names an id may not be: the properties every JavaScript object inherits (`toString`, `constructor`, `__proto__`,
 * ...). Used as a key of the room state's participant map they break its encoder (every patch throws), and as a plain
 * object's key they read inherited members; so ids that become keys are refused at the API and in join tokens.
 */
export function isReservedName(value: string): boolean {
  return value in Object.prototype || value === "__proto__" || value === "prototype";
}

export const RESERVED_NAME_MESSAGE = "a name JavaScript objects reserve (toString, constructor, __proto__, …)";
