import { describe, expect, it } from "vitest";
import { DEFAULT_LOAD_OPTIONS, LoadUsageError, parseLoadArgs } from "../../loadtest/load-options.js";

describe("load test options", () => {
  it("reads the documented flags, durations in seconds", () => {
    const options = parseLoadArgs(["--sessions", "8", "--participants", "4", "--speakers", "2", "--duration", "45"], {});
    expect(options).toMatchObject({ sessions: 8, participants: 4, speakers: 2, durationMs: 45_000, url: null });
  });

  it("defaults without flags", () => {
    expect(parseLoadArgs([], {})).toEqual({ ...DEFAULT_LOAD_OPTIONS, adminKey: null, metricsToken: null });
  });

  it.each([
    [["--sessions", "0"], "--sessions needs a whole number from 1 to 500"],
    [["--sessions", "501"], "--sessions needs a whole number from 1 to 500"],
    [["--duration", "2.5"], "--duration needs a whole number"],
    [["--participants", "2", "--speakers", "3"], "--speakers (3) cannot exceed --participants (2)"],
    [["--url", "http://example.com:2567"], "--url must point at 127.0.0.1 (got example.com)"],
    [["--url", "http://127.0.0.1:2567"], "--url needs ADMIN_API_KEY in the environment"],
    [["--url", "not a url"], "--url is not a URL"],
  ])("%j is refused: %s", (argv, message) => {
    expect(() => parseLoadArgs(argv, {})).toThrow(LoadUsageError);
    expect(() => parseLoadArgs(argv, {})).toThrow(message);
  });

  it("an unknown flag is refused by the parser", () => {
    expect(() => parseLoadArgs(["--sesions", "2"], {})).toThrow(/Unknown option/);
  });

  it("a loopback URL with the admin key is accepted", () => {
    expect(parseLoadArgs(["--url", "http://localhost:2567"], { ADMIN_API_KEY: "k".repeat(32) })).toMatchObject({
      url: "http://localhost:2567",
      adminKey: "k".repeat(32),
    });
  });
});
