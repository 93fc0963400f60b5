// The Dashboard 2.0 widgets of @evdlm/node-red-dlm (issue 14), one UMD bundle for all nine.
// Dashboard 2.0 imports the bundle once per widget type and then reads
// window[<widget type>][<component name>] (package.json "node-red-dashboard-2"): the bundle
// sets that for every type, so whichever widget loads it first, all of them find their component.
// One widget style for both dashboard families (issue 10/14), plus what Vuetify needs on top.
import shared from '../nodes/dlm-ui/dlm-ui.css?inline';
import extra from './dlm.css?inline';
import Analyser from './components/DlmAnalyser.vue';
import Boards from './components/DlmBoards.vue';
import Consumption from './components/DlmConsumption.vue';
import Params from './components/DlmParams.vue';
import Plugs from './components/DlmPlugs.vue';
import Power from './components/DlmPower.vue';
import Schedule from './components/DlmSchedule.vue';
import Table from './components/DlmTable.vue';
import Transactions from './components/DlmTransactions.vue';

const WIDGETS = {
  'dlm-ui2-plugs': ['DlmUi2Plugs', Plugs],
  'dlm-ui2-table': ['DlmUi2Table', Table],
  'dlm-ui2-consumption': ['DlmUi2Consumption', Consumption],
  'dlm-ui2-boards': ['DlmUi2Boards', Boards],
  'dlm-ui2-analyser': ['DlmUi2Analyser', Analyser],
  'dlm-ui2-params': ['DlmUi2Params', Params],
  'dlm-ui2-schedule': ['DlmUi2Schedule', Schedule],
  'dlm-ui2-power': ['DlmUi2Power', Power],
  'dlm-ui2-transactions': ['DlmUi2Transactions', Transactions],
};

if (typeof document !== 'undefined' && !document.getElementById('dlm-ui2-style')) {
  const style = document.createElement('style');
  style.id = 'dlm-ui2-style';
  style.textContent = shared + '\n' + extra;
  document.head.appendChild(style);
}
for (const type of Object.keys(WIDGETS)) {
  const [name, component] = WIDGETS[type];
  const slot = (globalThis[type] = globalThis[type] || {});
  slot[name] = component;
}

export {
  Analyser as DlmUi2Analyser,
  Boards as DlmUi2Boards,
  Consumption as DlmUi2Consumption,
  Params as DlmUi2Params,
  Plugs as DlmUi2Plugs,
  Power as DlmUi2Power,
  Schedule as DlmUi2Schedule,
  Table as DlmUi2Table,
  Transactions as DlmUi2Transactions,
};
