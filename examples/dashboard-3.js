/**
 * The dashboard part of the node-red-dashboard 3 examples (issue 6, docs/dashboard.md): the nine
 * dlm-ui widgets at /ui on four tabs (Site, Load management, Power, Transactions), fed by the
 * balancer they name (each gets its status directly: no wire, no copy per widget, issue 13). Called by examples/build-15-charge-point-site.js and
 * examples/build-mixed-site.js; `prefix` keeps each example's node ids its own.
 */
'use strict';

/**
 * Adds the dashboard's config nodes and widgets. `g` is the flow group the widgets go in; `balancerId`
 * the balancer whose status the widgets take, `balancerIn` / `schedIn` the link ins edits go to.
 */
function addDashboard3({ add, node, linkOut, link, wire, group: gDash, balancerId, balancerIn, schedIn, prefix = 'dlm', x }) {
  const P = prefix;
  // --- Dashboard: node-red-dashboard at /ui, the nine dlm-ui widgets (issue 6) -----------------
  // Config nodes (no tab): the dashboard's site settings, its tabs (screens) and groups (cards).
  // Groups of a tab are ordered widest first: the dashboard's masonry layout places a group under
  // the shorter one at its left without looking further right, so a wide group after a narrow one
  // overlaps it (docs/dashboard.md). Widths are in dashboard units (48 px + 6 px gap).
  add({
    id: `${P}_ui_base`,
    type: 'ui_base',
    theme: { name: 'theme-light' },
    site: {
      name: 'EV charging — dynamic load management',
      hideToolbar: 'false',
      allowSwipe: 'false',
      lockMenu: 'false',
      allowTempTheme: 'true',
      dateFormat: 'DD/MM/YYYY',
      sizes: { sx: 48, sy: 48, gx: 6, gy: 6, cx: 6, cy: 6, px: 0, py: 0 },
    },
  });
  const UI_TABS = [
    { key: 'site', name: 'Site', icon: 'fa-car' },
    { key: 'lm', name: 'Load management', icon: 'fa-sliders' },
    { key: 'power', name: 'Power', icon: 'fa-line-chart' },
    { key: 'tx', name: 'Transactions', icon: 'fa-list' },
  ];
  UI_TABS.forEach((t, i) =>
    add({ id: `${P}_ui_tab_${t.key}`, type: 'ui_tab', name: t.name, icon: t.icon, order: i + 1, disabled: false, hidden: false }),
  );
  /** Dashboard groups, in screen order per tab (widest first), and the widget each one holds. */
  const UI_GROUPS = [
    { key: 'consumption', tab: 'site', name: 'Consumption per phase', width: 18, widget: 'dlm-ui-consumption' },
    { key: 'plugs', tab: 'site', name: 'Status of the charge points', width: 18, widget: 'dlm-ui-plugs', out: 'balancer' },
    // Two rows of 14 + 8 units (fits 1280 px and wider): table | schedule, then parameters | analyser.
    { key: 'table', tab: 'lm', name: 'Table per phases', width: 14, widget: 'dlm-ui-table' },
    { key: 'schedule', tab: 'lm', name: 'Priority schedule', width: 8, widget: 'dlm-ui-schedule', out: 'schedule' },
    { key: 'params', tab: 'lm', name: 'Parameters', width: 14, widget: 'dlm-ui-params', out: 'balancer' },
    { key: 'analyser', tab: 'lm', name: 'Analyser', width: 8, widget: 'dlm-ui-analyser' },
    // Then the boards (R-CIRC-2): 14 units, under the parameters.
    { key: 'boards', tab: 'lm', name: 'Boards', width: 14, widget: 'dlm-ui-boards' },
    { key: 'power', tab: 'power', name: 'Building, EV and total power', width: 16, widget: 'dlm-ui-power' },
    {
      key: 'tx',
      tab: 'tx',
      name: 'Charging sessions',
      width: 18,
      widget: 'dlm-ui-transactions',
      extra: { csvUrl: '/dlm/transactions.csv', maxRows: 50 },
    },
  ];
  const tabOrder = {};
  for (const g of UI_GROUPS) {
    tabOrder[g.tab] = (tabOrder[g.tab] || 0) + 1;
    add({
      id: `${P}_ui_group_${g.key}`,
      type: 'ui_group',
      name: g.name,
      tab: `${P}_ui_tab_${g.tab}`,
      order: tabOrder[g.tab],
      disp: true,
      width: String(g.width),
      collapse: false,
      className: '',
    });
  }

  const DASH_X = x;
  node(gDash, {
    id: `${P}_dashboard_note`,
    type: 'comment',
    name: 'Dashboard /ui: the balancer status in, plate / params / schedule edits out',
    info: [
      "The dlm-ui widgets (node-red-dashboard, http://…/ui) take the balancer's status directly: each names the",
      'balancer in its Balancer field (no wire, no copy per widget). The plug status widget (licence plates) and the parameters widget send their edits',
      'to the balancer, the schedule widget to the priority-schedule node, through the link outs. Each widget',
      'sits in its own dashboard group; tabs: Site, Load management, Power, Transactions (docs/dashboard.md).',
    ].join('\n'),
    x: DASH_X.widget,
    y: 100,
    wires: [],
  });
  const dashToBalancer = linkOut(gDash, `${P}_out_dashboard_balancer`, 'dashboard → balancer (plate, params)', DASH_X.out, 200);
  link(dashToBalancer, balancerIn);
  const dashToSchedule = linkOut(gDash, `${P}_out_dashboard_schedule`, 'dashboard → schedule', DASH_X.out, 300);
  link(dashToSchedule, schedIn);
  // Widgets with an output first (next to their link outs), then the display-only ones.
  const widgetOrder = [...UI_GROUPS.filter((g) => g.out), ...UI_GROUPS.filter((g) => !g.out)];
  widgetOrder.forEach((g, i) => {
    const w = node(gDash, {
      id: `${P}_ui_${g.key}`,
      type: g.widget,
      name: '',
      group: `${P}_ui_group_${g.key}`,
      order: 1,
      width: 0,
      height: 0,
      ...(g.extra || {}),
      balancer: balancerId,
      // The demo runs without a login: edits open (README, Security: use "protected" on a site).
      ...(g.out ? { edits: 'open' } : {}),
      x: DASH_X.widget,
      y: 160 + i * 50,
      wires: g.out ? [[]] : [],
    });
    if (g.out) wire(w, g.out === 'schedule' ? dashToSchedule : dashToBalancer);
  });
}

module.exports = { addDashboard3 };
