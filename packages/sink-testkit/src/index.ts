export { contractCases, runSinkContract, type SinkContractHarness, type SinkUnderTest } from './contract.js';
export { deepFreeze, HOSTILE_VALUES, makeRunContext, makeTestRecords } from './records.js';
