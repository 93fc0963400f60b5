/**
 * The part of an AngularJS scope the widgets use: node-red-dashboard 3 gives each template its own
 * scope, with the last message in `msg` and `send` to emit a message from the page.
 */
export interface Scope {
  msg?: { payload?: any } | null;
  send(msg: { topic: string; payload: unknown }): void;
  $watch(expression: string, listener: (value: any) => void): void;
  $on(event: string, listener: () => void): void;
  /** What the controllers add for their templates (handlers, edit state). */
  [name: string]: any;
}

/** A rule's text as a sentence for the page: capital first, full stop last. */
export function sentence(text: string): string {
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}
