/**
 * The dashboard part of examples/15-charge-point-site-dashboard-2.json (issue 14): FlowFuse
 * Dashboard 2.0 (@flowfuse/node-red-dashboard) at /dashboard with the nine dlm-ui2 widgets on the
 * same four pages as the node-red-dashboard 3 example (Site, Load management, Power,
 * Transactions), fed by the balancer's status output through the same links. Called by
 * examples/build-15-charge-point-site.js --dashboard 2; docs/dashboard.md.
 */
'use strict';

/** Dashboard pages in menu order. */
const PAGES = [
  { key: 'site', name: 'Site', path: '/site', icon: 'ev-station' },
  { key: 'lm', name: 'Load management', path: '/load-management', icon: 'tune' },
  { key: 'power', name: 'Power', path: '/power', icon: 'chart-line' },
  { key: 'tx', name: 'Transactions', path: '/transactions', icon: 'format-list-bulleted' },
];

/**
 * Groups in page order and the widget each holds. Widths in columns of the page's 12-column grid
 * (at 1024 px and wider): full width for the wide tables, 7 + 5 for the load-management pairs.
 */
const GROUPS = [
  { key: 'consumption', page: 'site', name: 'Consumption per phase', width: 12, widget: 'dlm-ui2-consumption' },
  { key: 'plugs', page: 'site', name: 'Status of the charge points', width: 12, widget: 'dlm-ui2-plugs', out: 'balancer' },
  { key: 'table', page: 'lm', name: 'Table per phases', width: 7, widget: 'dlm-ui2-table' },
  { key: 'schedule', page: 'lm', name: 'Priority schedule', width: 5, widget: 'dlm-ui2-schedule', out: 'schedule' },
  { key: 'params', page: 'lm', name: 'Parameters', width: 7, widget: 'dlm-ui2-params', out: 'balancer' },
  { key: 'analyser', page: 'lm', name: 'Analyser', width: 5, widget: 'dlm-ui2-analyser' },
  { key: 'boards', page: 'lm', name: 'Boards', width: 12, widget: 'dlm-ui2-boards' },
  { key: 'power', page: 'power', name: 'Building, EV and total power', width: 8, widget: 'dlm-ui2-power' },
  {
    key: 'tx',
    page: 'tx',
    name: 'Charging sessions',
    width: 12,
    widget: 'dlm-ui2-transactions',
    extra: { csvUrl: '/dlm/transactions.csv', maxRows: 50 },
  },
];

/**
 * Adds the Dashboard 2.0 config nodes (ui-base, ui-theme, ui-page, ui-group) and the dashboard
 * group of the flow: the status link in, the nine widgets, the edit link outs.
 */
function addDashboard2({ add, node, linkOut, link, wire, group: gDash, balancerId, balancerIn, schedIn, tab }) {
  tab.label += ' (Dashboard 2.0)';
  tab.info +=
    '\n\nDashboard: FlowFuse Dashboard 2.0 at `/dashboard` (needs `@flowfuse/node-red-dashboard`). For node-red-dashboard 3\n' +
    'import the example `15-charge-point-site` instead (`npm start`), docs/dashboard.md.';
  add({
    id: 'dlm_ui2_base',
    type: 'ui-base',
    name: 'EV charging — dynamic load management',
    path: '/dashboard',
    appIcon: '',
    includeClientData: true,
    acceptsClientConfig: ['ui-notification', 'ui-control'],
    showPathInSidebar: false,
    headerContent: 'page',
    // The page list opens over the page from the menu button (Vuetify's temporary drawer): on a
    // 1024 px screen a permanent drawer took 256 px from the groups and the 7-column table overflowed.
    navigationStyle: 'temporary',
    titleBarStyle: 'default',
    showReconnectNotification: true,
    notificationDisplayTime: 1,
    showDisconnectNotification: true,
    allowInstall: false,
  });
  add({
    id: 'dlm_ui2_theme',
    type: 'ui-theme',
    name: 'DLM light',
    colors: { surface: '#ffffff', primary: '#1565c0', bgPage: '#eeeeee', groupBg: '#ffffff', groupOutline: '#cccccc' },
    sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '4px', widgetGap: '12px' },
  });
  PAGES.forEach((p, i) =>
    add({
      id: `dlm_ui2_page_${p.key}`,
      type: 'ui-page',
      name: p.name,
      ui: 'dlm_ui2_base',
      path: p.path,
      icon: p.icon,
      layout: 'grid',
      theme: 'dlm_ui2_theme',
      breakpoints: [
        { name: 'Default', px: '0', cols: '3' },
        { name: 'Tablet', px: '576', cols: '6' },
        { name: 'Small Desktop', px: '768', cols: '9' },
        { name: 'Desktop', px: '1024', cols: '12' },
      ],
      order: i + 1,
      className: '',
      visible: 'true',
      disabled: 'false',
    }),
  );
  const pageOrder = {};
  for (const g of GROUPS) {
    pageOrder[g.page] = (pageOrder[g.page] || 0) + 1;
    add({
      id: `dlm_ui2_group_${g.key}`,
      type: 'ui-group',
      name: g.name,
      page: `dlm_ui2_page_${g.page}`,
      width: String(g.width),
      height: '1',
      order: pageOrder[g.page],
      showTitle: true,
      className: '',
      visible: 'true',
      disabled: 'false',
      groupType: 'default',
    });
  }

  const X = { in: 2020, widget: 2260, out: 2540 };
  node(gDash, {
    id: 'dlm_dashboard_note',
    type: 'comment',
    name: 'Dashboard 2.0 /dashboard: the balancer status in, plate / params / schedule edits out',
    info: [
      "The dlm-ui2 widgets (FlowFuse Dashboard 2.0, http://…/dashboard) take the balancer's status directly: each",
      'names the balancer in its Balancer field (no wire, no copy per widget). The plug status widget (licence plates) and the parameters widget send their edits',
      'to the balancer, the schedule widget to the priority-schedule node, through the link outs. Each widget sits in',
      'its own group; pages: Site, Load management, Power, Transactions (docs/dashboard.md).',
      '',
      'The editing widgets are set to Edits = open: this demo has no login. On a real site put Dashboard 2.0 behind',
      'a login (settings.js dashboard.ioMiddleware) and set them back to protected (SPEC R-SEC-1).',
    ].join('\n'),
    x: X.widget,
    y: 100,
    wires: [],
  });
  const toBalancer = linkOut(gDash, 'dlm_out_dashboard_balancer', 'dashboard → balancer (plate, params)', X.out, 200);
  link(toBalancer, balancerIn);
  const toSchedule = linkOut(gDash, 'dlm_out_dashboard_schedule', 'dashboard → schedule', X.out, 300);
  link(toSchedule, schedIn);
  const order = [...GROUPS.filter((g) => g.out), ...GROUPS.filter((g) => !g.out)];
  order.forEach((g, i) => {
    const w = node(gDash, {
      id: `dlm_ui2_${g.key}`,
      type: g.widget,
      name: '',
      group: `dlm_ui2_group_${g.key}`,
      order: 1,
      width: '0',
      height: '0',
      ...(g.out ? { edits: 'open' } : {}),
      ...(g.extra || {}),
      balancer: balancerId,
      x: X.widget,
      y: 160 + i * 50,
      wires: g.out ? [[]] : [],
    });
    if (g.out) wire(w, g.out === 'schedule' ? toSchedule : toBalancer);
  });
}

module.exports = { addDashboard2, PAGES, GROUPS };
