// The transcript: final messages, the user's interim words and the assistant's streaming reply.

import type { UiMessage } from "../model";
import { h } from "./dom";

function roleLabel(role: string): string {
  if (role === "user") return "You";
  if (role === "assistant") return "Assistant";
  return role;
}

function messageItem(message: UiMessage): HTMLLIElement {
  const role = message.role === "user" ? "user" : message.role === "assistant" ? "assistant" : "other";
  const item = h("li", { class: `nvc-msg nvc-${role}` }, [
    h("span", { class: "nvc-role", text: roleLabel(message.role) }),
    h("span", { class: "nvc-text", text: message.text }),
  ]);
  if (message.interrupted) {
    item.classList.add("nvc-interrupted");
    const heard = message.heard_text ?? "";
    item.append(
      h("span", {
        class: "nvc-heard",
        text: heard ? `interrupted — heard: “${heard}”` : "interrupted before any of it was heard",
      }),
    );
  }
  return item;
}

export interface TranscriptState {
  messages: UiMessage[];
  interim: string;
  assistantText: string;
}

export function renderTranscript(list: HTMLElement, state: TranscriptState): void {
  const items: HTMLElement[] = state.messages.map(messageItem);
  if (state.interim) {
    items.push(
      h("li", { class: "nvc-msg nvc-user nvc-interim" }, [
        h("span", { class: "nvc-role", text: "You" }),
        h("span", { class: "nvc-text", text: state.interim }),
      ]),
    );
  }
  // The session keeps the latest reply's text after it is final: show it once.
  const last = state.messages[state.messages.length - 1];
  const alreadyFinal = last !== undefined && last.role === "assistant" && last.text === state.assistantText;
  if (state.assistantText && !alreadyFinal) {
    items.push(
      h("li", { class: "nvc-msg nvc-assistant nvc-streaming" }, [
        h("span", { class: "nvc-role", text: "Assistant" }),
        h("span", { class: "nvc-text", text: state.assistantText }),
      ]),
    );
  }
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  list.replaceChildren(...items);
  if (atBottom) list.scrollTop = list.scrollHeight;
}
