/**
 * Test support: the Node-RED nodes that read a CVM-MINI (or the simulator, tools/sim-meter.ts)
 * over Modbus TCP on 127.0.0.1 with node-red-contrib-modbus, as the docs wire it (docs/cvm-mini.md):
 *
 *   Modbus-Client (TCP 127.0.0.1:<port>)
 *   Modbus-Flex-Getter ── output 1 ──► cvm-mini-reader ── output 1 (meter) ──► meterWires
 *          ▲                                 │
 *          └──────── output 2: one request every poll ┘
 *
 * Node ids: `client<key>`, `getter<key>`, `reader<key>`. Used by the integration tests.
 */

export interface CvmPipelineOptions {
  /** Suffix of the node ids. */
  key: string;
  /** Id of the flow tab the getter and the reader go on. */
  tab: string;
  /** Port of the simulator on 127.0.0.1. */
  simPort: number;
  /** Unit id the Modbus-Client asks for (default 1, as a real CVM-MINI is set). */
  unitId?: number;
  /** cvm-mini-reader poll period and watchdog, s. */
  pollS: number;
  watchdogS: number;
  /** Where the reader's `meter` messages go (node ids). */
  meterWires: string[];
}

/** The Modbus-Client, Modbus-Flex-Getter and cvm-mini-reader nodes of one meter pipeline. */
export function cvmMiniPipeline(o: CvmPipelineOptions): Record<string, unknown>[] {
  const { key, tab } = o;
  const unitId = o.unitId ?? 1;
  return [
    {
      id: `client${key}`,
      type: 'modbus-client',
      name: `sim ${key}`,
      clienttype: 'tcp',
      bufferCommands: true,
      stateLogEnabled: false,
      queueLogEnabled: false,
      failureLogEnabled: true,
      tcpHost: '127.0.0.1',
      tcpPort: String(o.simPort),
      tcpType: 'DEFAULT',
      serialPort: '/dev/null',
      serialType: 'RTU-BUFFERD',
      serialBaudrate: '19200',
      serialDatabits: '8',
      serialStopbits: '1',
      serialParity: 'none',
      serialConnectionDelay: '100',
      serialAsciiResponseStartDelimiter: '0x3A',
      unit_id: String(unitId),
      commandDelay: '1',
      clientTimeout: '1000',
      reconnectOnTimeout: true,
      reconnectTimeout: '1000',
      parallelUnitIdsAllowed: true,
      showErrors: true,
      showWarnings: true,
      showLogs: true,
    },
    {
      id: `getter${key}`,
      type: 'modbus-flex-getter',
      z: tab,
      name: `getter ${key}`,
      showStatusActivities: false,
      showErrors: true,
      showWarnings: true,
      logIOActivities: false,
      server: `client${key}`,
      useIOFile: false,
      ioFile: '',
      useIOForPayload: false,
      emptyMsgOnFail: true,
      keepMsgProperties: false,
      delayOnStart: false,
      enableDeformedMessages: false,
      startDelayTime: '',
      wires: [[`reader${key}`], []],
    },
    {
      id: `reader${key}`,
      type: 'cvm-mini-reader',
      z: tab,
      name: `meter ${key}`,
      unitId: 1,
      fc: 4,
      poll: true,
      pollS: o.pollS,
      watchdogS: o.watchdogS,
      wires: [o.meterWires, [`getter${key}`]],
    },
  ];
}
