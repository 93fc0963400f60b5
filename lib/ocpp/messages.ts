/**
 * OCPP 1.6J messages used by the central system (issue 12), typed from the official JSON schemas
 * (the ones ocpp-rpc validates against in strict mode). Only the fields we read or write; the
 * library's own typings are loose (`call(method: any, …)`), so these are the contract in our code.
 * Pure types and constants: no I/O.
 */

/** Times on the wire: ISO 8601 date-time text (UTC, e.g. "2026-12-02T05:00:00.000Z"). */
export type DateTimeText = string;

export type ChargePointStatus =
  'Available' | 'Preparing' | 'Charging' | 'SuspendedEVSE' | 'SuspendedEV' | 'Finishing' | 'Reserved' | 'Unavailable' | 'Faulted';

export type ChargePointErrorCode =
  | 'ConnectorLockFailure'
  | 'EVCommunicationError'
  | 'GroundFailure'
  | 'HighTemperature'
  | 'InternalError'
  | 'LocalListConflict'
  | 'NoError'
  | 'OtherError'
  | 'OverCurrentFailure'
  | 'PowerMeterFailure'
  | 'PowerSwitchFailure'
  | 'ReaderFailure'
  | 'ResetFailure'
  | 'UnderVoltage'
  | 'OverVoltage'
  | 'WeakSignal';

export type RegistrationStatus = 'Accepted' | 'Pending' | 'Rejected';
export type AuthorizationStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';

export interface IdTagInfo {
  status: AuthorizationStatus;
  expiryDate?: DateTimeText;
  parentIdTag?: string;
}

// --- Charge point → central system -------------------------------------------------------------

export interface BootNotificationReq {
  chargePointVendor: string;
  chargePointModel: string;
  chargePointSerialNumber?: string;
  chargeBoxSerialNumber?: string;
  firmwareVersion?: string;
  iccid?: string;
  imsi?: string;
  meterType?: string;
  meterSerialNumber?: string;
}
export interface BootNotificationConf {
  status: RegistrationStatus;
  currentTime: DateTimeText;
  /** Heartbeat interval, s. */
  interval: number;
}

export type HeartbeatReq = Record<string, never>;
export interface HeartbeatConf {
  currentTime: DateTimeText;
}

export interface StatusNotificationReq {
  connectorId: number;
  errorCode: ChargePointErrorCode;
  status: ChargePointStatus;
  info?: string;
  timestamp?: DateTimeText;
  vendorId?: string;
  vendorErrorCode?: string;
}
export type StatusNotificationConf = Record<string, never>;

export type Measurand =
  | 'Energy.Active.Export.Register'
  | 'Energy.Active.Import.Register'
  | 'Energy.Reactive.Export.Register'
  | 'Energy.Reactive.Import.Register'
  | 'Energy.Active.Export.Interval'
  | 'Energy.Active.Import.Interval'
  | 'Energy.Reactive.Export.Interval'
  | 'Energy.Reactive.Import.Interval'
  | 'Power.Active.Export'
  | 'Power.Active.Import'
  | 'Power.Offered'
  | 'Power.Reactive.Export'
  | 'Power.Reactive.Import'
  | 'Power.Factor'
  | 'Current.Import'
  | 'Current.Export'
  | 'Current.Offered'
  | 'Voltage'
  | 'Frequency'
  | 'Temperature'
  | 'SoC'
  | 'RPM';

export type MeterPhase = 'L1' | 'L2' | 'L3' | 'N' | 'L1-N' | 'L2-N' | 'L3-N' | 'L1-L2' | 'L2-L3' | 'L3-L1';

export interface SampledValue {
  /** The reading as text (OCPP sends numbers as strings). */
  value: string;
  context?: string;
  format?: 'Raw' | 'SignedData';
  /** Default "Energy.Active.Import.Register". */
  measurand?: Measurand;
  phase?: MeterPhase;
  location?: string;
  /** Default "Wh" (energy) / the measurand's natural unit. */
  unit?: string;
}
export interface MeterValue {
  timestamp: DateTimeText;
  sampledValue: SampledValue[];
}
export interface MeterValuesReq {
  connectorId: number;
  transactionId?: number;
  meterValue: MeterValue[];
}
export type MeterValuesConf = Record<string, never>;

export interface AuthorizeReq {
  idTag: string;
}
export interface AuthorizeConf {
  idTagInfo: IdTagInfo;
}

export interface StartTransactionReq {
  connectorId: number;
  idTag: string;
  /** Energy register at the start, Wh. */
  meterStart: number;
  reservationId?: number;
  timestamp: DateTimeText;
}
export interface StartTransactionConf {
  idTagInfo: IdTagInfo;
  transactionId: number;
}

export interface StopTransactionReq {
  transactionId: number;
  meterStop: number;
  timestamp: DateTimeText;
  idTag?: string;
  reason?: string;
  transactionData?: MeterValue[];
}
export interface StopTransactionConf {
  idTagInfo?: IdTagInfo;
}

// --- Central system → charge point -------------------------------------------------------------

export interface KeyValue {
  key: string;
  readonly: boolean;
  value?: string;
}
export interface GetConfigurationReq {
  key?: string[];
}
export interface GetConfigurationConf {
  configurationKey?: KeyValue[];
  unknownKey?: string[];
}

export interface ChangeConfigurationReq {
  key: string;
  value: string;
}
export interface ChangeConfigurationConf {
  status: 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';
}

export type ChargingProfilePurpose = 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
export type ChargingProfileKind = 'Absolute' | 'Recurring' | 'Relative';

export interface ChargingSchedulePeriod {
  /** Seconds from the start of the schedule. */
  startPeriod: number;
  /** Limit in the schedule's unit (A here); the schema demands a multiple of 0.1. */
  limit: number;
  numberPhases?: number;
}
export interface ChargingSchedule {
  /** s; absent = the last period lasts until the profile ends. */
  duration?: number;
  startSchedule?: DateTimeText;
  chargingRateUnit: 'A' | 'W';
  chargingSchedulePeriod: ChargingSchedulePeriod[];
  minChargingRate?: number;
}
export interface ChargingProfile {
  chargingProfileId: number;
  transactionId?: number;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfilePurpose;
  chargingProfileKind: ChargingProfileKind;
  recurrencyKind?: 'Daily' | 'Weekly';
  validFrom?: DateTimeText;
  validTo?: DateTimeText;
  chargingSchedule: ChargingSchedule;
}
export interface SetChargingProfileReq {
  connectorId: number;
  csChargingProfiles: ChargingProfile;
}
export interface SetChargingProfileConf {
  status: 'Accepted' | 'Rejected' | 'NotSupported';
}

export interface ClearChargingProfileReq {
  id?: number;
  connectorId?: number;
  chargingProfilePurpose?: ChargingProfilePurpose;
  stackLevel?: number;
}
export interface ClearChargingProfileConf {
  status: 'Accepted' | 'Unknown';
}

export interface GetCompositeScheduleReq {
  connectorId: number;
  duration: number;
  chargingRateUnit?: 'A' | 'W';
}
export interface GetCompositeScheduleConf {
  status: 'Accepted' | 'Rejected';
  connectorId?: number;
  scheduleStart?: DateTimeText;
  chargingSchedule?: ChargingSchedule;
}

export type TriggerableMessage =
  'BootNotification' | 'DiagnosticsStatusNotification' | 'FirmwareStatusNotification' | 'Heartbeat' | 'MeterValues' | 'StatusNotification';
export interface TriggerMessageReq {
  requestedMessage: TriggerableMessage;
  connectorId?: number;
}
export interface TriggerMessageConf {
  status: 'Accepted' | 'Rejected' | 'NotImplemented';
}

/** Calls the central system makes, request → response (the typed face of the library's `call`). */
export interface CentralCalls {
  GetConfiguration: [GetConfigurationReq, GetConfigurationConf];
  ChangeConfiguration: [ChangeConfigurationReq, ChangeConfigurationConf];
  SetChargingProfile: [SetChargingProfileReq, SetChargingProfileConf];
  ClearChargingProfile: [ClearChargingProfileReq, ClearChargingProfileConf];
  GetCompositeSchedule: [GetCompositeScheduleReq, GetCompositeScheduleConf];
  TriggerMessage: [TriggerMessageReq, TriggerMessageConf];
}

/** Calls a charge point makes, request → response. */
export interface ChargePointCalls {
  BootNotification: [BootNotificationReq, BootNotificationConf];
  Heartbeat: [HeartbeatReq, HeartbeatConf];
  StatusNotification: [StatusNotificationReq, StatusNotificationConf];
  MeterValues: [MeterValuesReq, MeterValuesConf];
  Authorize: [AuthorizeReq, AuthorizeConf];
  StartTransaction: [StartTransactionReq, StartTransactionConf];
  StopTransaction: [StopTransactionReq, StopTransactionConf];
}

/** The WebSocket subprotocol. */
export const OCPP16 = 'ocpp1.6';
