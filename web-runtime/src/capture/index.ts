// The capture chunk: imported lazily (`import('./capture/index')`) only when the app plan carries a capture policy
// for the model, or samples wait from an earlier page, so apps that capture nothing never download it.
export { Capture, type CaptureDeps, type CaptureStatus, type InferenceSeen } from './capture';
