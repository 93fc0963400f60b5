import type { Scope } from './scope';

/** The AngularJS controllers of node-red-dashboard's layout (a group's card panel, the page's masonry). */
interface Layout {
  refreshLayout?(done?: () => void): void;
}
interface Angular {
  element(el: Element): { controller(name: string): Layout | undefined };
}

/**
 * node-red-dashboard sizes an auto-height template once, when it is first drawn (before any
 * status arrived). This re-measures the widget when its content height changes and asks the
 * group (uiCardPanel) and the page (uiMasonry) to lay out again.
 */
export function relayout(scope: Scope): void {
  scope.dlmId = 'dlm-' + Math.random().toString(36).slice(2);
  const fit = { lastHeight: -1, tries: 0 };
  const fix = () => fitCard(scope.dlmId, fit);
  scope.$watch('msg', function () {
    setTimeout(fix, 30);
  });
  const timer = setInterval(fix, 300);
  scope.$on('$destroy', function () {
    clearInterval(timer);
  });
}

/** One measurement: grows the widget's card to its content and re-lays out the group and the page. */
function fitCard(id: string, fit: { lastHeight: number; tries: number }): void {
  const el = document.querySelector('[data-dlm-id="' + id + '"]') as HTMLElement | null;
  if (!el) return;
  let card: HTMLElement = el;
  while (card.parentElement && !card.parentElement.classList.contains('nr-dashboard-cardcontainer')) card = card.parentElement;
  const container = card.parentElement;
  const ng = (window as unknown as { angular?: Angular }).angular;
  if (!container || !ng) return;
  const h = el.offsetHeight;
  // The card is a whole number of grid rows: it fits when it is at least as tall as the content
  // and less than one row (48 px + gap) taller.
  if (card.offsetHeight >= h && card.offsetHeight <= h + 60) {
    fit.tries = 0;
    return;
  }
  if (h === fit.lastHeight && ++fit.tries > 6) return; // cannot fit (e.g. a widget narrower than its group): stop trying
  if (h !== fit.lastHeight) fit.tries = 0;
  if (h === fit.lastHeight && card.offsetHeight < h) {
    // The dashboard rounds rows as ceil(h / (row + gap)) and loses one gap: content just above a
    // row boundary is cut by a few pixels. Step over the boundary with a little padding.
    const pad = parseInt(el.style.paddingBottom || '0', 10) || 0;
    el.style.paddingBottom = pad + 8 + 'px';
  }
  fit.lastHeight = el.offsetHeight;
  card.style.height = 'auto';
  const panel = ng.element(container).controller('uiCardPanel');
  const masonry = ng.element(container).controller('uiMasonry');
  if (panel && panel.refreshLayout) {
    panel.refreshLayout(function () {
      if (masonry && masonry.refreshLayout) masonry.refreshLayout();
    });
  }
}
