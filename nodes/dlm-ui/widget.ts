/**
 * One widget node at run time, the same for every widget of the table (widgets.ts): it turns each
 * balancer status into the widget's view, keeps the widget's state (`keep`), sets the node's
 * status, and checks the edits the page sends before any leaves the node (R-ERR-1, R-SEC-1).
 */
import { editRefusal } from '../../lib/dashboard/edits';
import { statusProblems } from '../../lib/dashboard/dashboard';
import { boundedText, untrustedProblem } from '../../lib/shared/guard';
import type { StatusMessage } from '../../lib/shared/types';
import type { Done } from '../common/input';
import type { WidgetDef } from './widgets';

/** A line above an editable widget: why the last edit was refused, or why edits are off. */
interface Note {
  text: string;
  error: boolean;
}

/** What node-red-dashboard passes to `beforeSend` for a message from the page. */
interface FromPage {
  msg?: { topic?: unknown; payload?: unknown };
  socketid?: string;
  _dontSend?: boolean;
}

export class Widget {
  private last: StatusMessage | null = null;
  private view: unknown = null;
  private note: Note | null = null;
  private shownStatus = '';
  private closed = false;
  private state: unknown;
  private loaded: boolean;
  private readonly ready: Promise<void>;

  constructor(
    private readonly RED: any,
    private readonly node: any,
    private readonly config: any,
    private readonly def: WidgetDef<any>,
  ) {
    const keep = def.keep;
    this.state = keep?.initial();
    this.loaded = !keep;
    this.ready = keep
      ? keep.restore(node).then((saved) => {
          if (saved !== undefined) this.state = saved;
          this.loaded = true;
        })
      : Promise.resolve();
    // Shown from the start when the page cannot edit (R-SEC-1).
    const refused = def.edit ? this.refusal() : null;
    if (refused) this.note = { text: refused, error: true };
  }

  /** The view node-red-dashboard sends to the page (`convert`, `beforeEmit`). */
  current(): unknown {
    return this.view;
  }

  /** A message on the node's input, already through the guard (R-SEC-3): a balancer status or an error. */
  onInput(msg: { payload?: unknown }, done: Done): void {
    const problems = statusProblems(msg.payload);
    if (problems.length) {
      this.setStatus('red', 'bad status message');
      done(new Error(`not a balancer status: ${problems.join('; ')}`));
      return;
    }
    this.show(msg.payload as StatusMessage, done);
  }

  /**
   * A status to show: from the input (checked above) or straight from the balancer this widget
   * joined (nodes/common/status-bus: this runtime's own balancer's status object, read-only, not
   * checked again). Returns once the view is made (at once when the widget's state is loaded).
   */
  show(status: StatusMessage, done: Done = () => undefined): void {
    const apply = () => {
      if (this.closed) return done();
      this.last = status;
      this.keepState(status);
      this.render();
      this.setStatus('green', this.def.statusText(status));
      done();
    };
    // Synchronous once the state is restored, so the view is ready before the dashboard emits it.
    if (this.loaded) apply();
    else void this.ready.then(apply);
  }

  /** `beforeSend`: only edits from the page leave the widget, re-checked here (R-ERR-1, R-SEC-1). */
  beforeSend(toSend: unknown, original: FromPage | undefined): unknown {
    if (!original) return toSend;
    const m = original.msg;
    const edit = this.def.edit;
    if (!edit || !m || m.topic !== edit.topic) {
      original._dontSend = true;
      return toSend;
    }
    const refused = this.refusal();
    if (refused) {
      // Nothing leaves the widget; the page and the node say why (R-SEC-1).
      this.refuse(original, refused, () => this.node.warn(boundedText(`${edit.topic} edit from the dashboard refused: ${refused}`)));
      return toSend;
    }
    const bad = untrustedProblem(m.payload, 'edit');
    const r = bad ? { ok: false as const, error: bad } : edit.check(m.payload, this.last);
    if (!r.ok) {
      this.refuse(original, r.error, () => this.node.error(boundedText(r.error), { topic: m.topic }));
      return toSend;
    }
    this.note = null;
    this.node.log(boundedText(`${edit.topic} edit from the dashboard: ${JSON.stringify(r.msg.payload)}`));
    this.render();
    return { ...r.msg, socketid: original.socketid };
  }

  close(): void {
    this.closed = true;
  }

  /** Why edits are off now, or null (lib/dashboard/edits: the node's `edits` and the dashboard's login). */
  private refusal(): string | null {
    return editRefusal(this.config.edits, this.uiSettings());
  }

  private uiSettings(): unknown {
    try {
      return this.RED.settings?.ui;
    } catch {
      return undefined;
    }
  }

  /** Refuses an edit: nothing is sent, the note says why at once, the node's status and log too. */
  private refuse(original: FromPage, text: string, log: () => void): void {
    original._dontSend = true;
    this.note = { text, error: true };
    this.setStatus('red', text.slice(0, 60));
    log();
    // Show the refusal on the page now, not only with the next status.
    if (this.last && !this.closed) {
      const again = this.last;
      setImmediate(() => {
        if (!this.closed) this.node.receive({ payload: again });
      });
    }
    this.render();
  }

  private keepState(status: StatusMessage): void {
    const keep = this.def.keep;
    if (!keep) return;
    const next = keep.next(this.state, status);
    if (next === this.state) return;
    this.state = next;
    keep.persist(this.node, next);
  }

  private render(): void {
    if (!this.last) return;
    const view = this.def.view(this.last, { config: this.config, state: this.state }) as object;
    this.view = { ...view, ...(this.def.edit ? { serverNote: this.note } : {}) };
  }

  private setStatus(fill: string, text: string): void {
    if (text === this.shownStatus) return;
    this.shownStatus = text;
    this.node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text });
  }
}
