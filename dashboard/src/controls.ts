/**
 * The controls: POST /api/control with the token in the X-Cpuhp-Token header (the server
 * never takes it from the cookie for a control, protocol.ts "Access"), and the answer shown
 * where the button is (its result area) and in the control log, with a toast: ok, the new
 * state and how long it took; or the error's code and message as the runtime gave them.
 *
 * The token comes from GET /api/session (main.ts). Without it (a publicView page opened
 * without the token) every control is disabled and the page says why.
 */

import type { ControlAnswer, ControlRequest } from './wire.js';
import { el, ms } from './dom.js';

const TOKEN_HEADER = 'X-Cpuhp-Token';
const LOG_LINES = 100;
const TOAST_MS = 6000;

/** "cpuDown(1)", "kthreadPark(thread 7)", "injectFailure(cpu 1, at sched:active)". */
export function describe(request: ControlRequest): string {
  switch (request.op) {
    case 'cpuDown':
    case 'cpuUp':
      return `${request.op}(${request.cpu})`;
    case 'kthreadPark':
    case 'kthreadUnpark':
    case 'kthreadStop':
      return `${request.op}(thread ${request.thread})`;
    case 'injectFailure':
      return `injectFailure(cpu ${request.cpu}, at ${request.step})`;
  }
}

/** What the page shows for one answer; `ok` picks the colour. */
export interface Outcome {
  readonly ok: boolean;
  readonly text: string;
}

export function outcomeOf(request: ControlRequest, status: number, body: unknown): Outcome {
  const what = describe(request);
  if (isAnswer(body) && body.ok) {
    const state = body.cpuState ?? body.threadState;
    return { ok: true, text: `${what}: ok${state === undefined ? '' : `, now ${state}`}, ${ms(body.ms)}` };
  }
  if (isError(body)) return { ok: false, text: `${what}: ${body.error.code}: ${body.error.message}` };
  return { ok: false, text: `${what}: the server answered ${status} without an explanation` };
}

function isAnswer(body: unknown): body is ControlAnswer {
  return typeof body === 'object' && body !== null && 'ok' in body && typeof body.ok === 'boolean' && (!body.ok || ('ms' in body && typeof body.ms === 'number'));
}

function isError(body: unknown): body is { error: { code: string; message: string } } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error && typeof error.code === 'string' && typeof error.message === 'string';
}

export class Controls {
  private readonly buttons = new Set<HTMLButtonElement | HTMLSelectElement>();

  constructor(
    private token: string | null,
    private readonly log: HTMLElement,
    private readonly toasts: HTMLElement,
  ) {}

  get enabled(): boolean {
    return this.token !== null;
  }

  /** Enables or disables every control made here (the session's answer decides). */
  setToken(token: string | null): void {
    this.token = token;
    for (const button of this.buttons) button.disabled = token === null;
  }

  /** Adopts a control element of index.html, so it is disabled with the rest. */
  adopt(control: HTMLButtonElement | HTMLSelectElement): void {
    control.disabled = !this.enabled;
    this.buttons.add(control);
  }

  /** A button that sends request() and shows the outcome in `result`. */
  button(label: string, testId: string, request: () => ControlRequest | null, result: HTMLElement): HTMLButtonElement {
    const button = el('button', 'control', label);
    button.type = 'button';
    button.dataset['testid'] = testId;
    button.addEventListener('click', () => {
      const req = request();
      if (req !== null) void this.send(req, result, button);
    });
    this.adopt(button);
    return button;
  }

  /** Sends one request; the button is disabled while it is under way (one at a time). */
  async send(request: ControlRequest, result: HTMLElement, button?: HTMLButtonElement): Promise<Outcome> {
    if (button !== undefined) button.disabled = true;
    let outcome: Outcome;
    try {
      outcome = await this.post(request);
    } catch (error) {
      outcome = { ok: false, text: `${describe(request)}: no answer from the dashboard (${error instanceof Error ? error.message : String(error)})` };
    } finally {
      if (button !== undefined) button.disabled = !this.enabled;
    }
    this.show(outcome, result);
    return outcome;
  }

  private async post(request: ControlRequest): Promise<Outcome> {
    if (this.token === null) return { ok: false, text: `${describe(request)}: this page has no token, so it cannot use the controls` };
    const response = await fetch('/api/control', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: this.token },
      body: JSON.stringify(request),
    });
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON: outcomeOf says the server gave no explanation.
    }
    return outcomeOf(request, response.status, body);
  }

  private show(outcome: Outcome, result: HTMLElement): void {
    result.textContent = outcome.text;
    result.classList.toggle('ok', outcome.ok);
    result.classList.toggle('error', !outcome.ok);
    result.title = outcome.text;
    const line = el('li', outcome.ok ? 'ok' : 'error', `${new Date().toLocaleTimeString()}  ${outcome.text}`);
    this.log.prepend(line);
    while (this.log.childElementCount > LOG_LINES) this.log.lastElementChild?.remove();
    const toast = el('div', `toast ${outcome.ok ? 'ok' : 'error'}`, outcome.text);
    this.toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  }
}
