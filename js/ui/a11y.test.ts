import { describe, expect, it } from "vitest";
import { meterAttrs, setMeterValue } from "./a11y";

/** The attribute surface of an element, enough for these helpers. */
class FakeElement {
  attrs = new Map<string, string>();
  writes = 0;
  getAttribute(name: string): string | null {
    return this.attrs.get(name) ?? null;
  }
  setAttribute(name: string, value: string): void {
    this.writes++;
    this.attrs.set(name, value);
  }
}

describe("meter semantics", () => {
  it("labels a 0-100 meter", () => {
    expect(meterAttrs("Microphone level")).toMatchObject({
      role: "meter",
      "aria-label": "Microphone level",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
    });
  });

  it("sets value and spoken text, clamped, writing only what changed", () => {
    const el = new FakeElement();
    setMeterValue(el as unknown as Element, 0.424);
    expect(el.getAttribute("aria-valuenow")).toBe("42");
    expect(el.getAttribute("aria-valuetext")).toBe("42%");
    const writes = el.writes;
    setMeterValue(el as unknown as Element, 0.421); // same whole percent
    expect(el.writes).toBe(writes);
    setMeterValue(el as unknown as Element, 1.7, "joy 1.70");
    expect(el.getAttribute("aria-valuenow")).toBe("100");
    expect(el.getAttribute("aria-valuetext")).toBe("joy 1.70");
  });
});
