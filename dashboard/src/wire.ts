/** The page's view of the server's wire protocol: the shapes, by type import only. */
export type { DashboardSnapshot, TraceBatch, ControlRequest, ControlAnswer, SessionAnswer } from '../../src/dashboard/protocol.js';
