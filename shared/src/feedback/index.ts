export {
  DEFAULT_FEEDBACK_TTL_MS,
  judgeLabel,
  type KeptPrediction,
  LABEL_REFUSAL_KIND,
  type LabelJudgement,
  type LabelRefusal,
  type LabelRefusalKind,
  labelRefusalMessage,
} from './label';
export { type LabelCount, WindowFeedback, type WindowRefusal } from './window-feedback';
