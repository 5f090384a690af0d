/** Zeek's TCP endpoint states (TCP_Endpoint.h), as stored per endpoint. */
export const TCP_INACTIVE = 0;
export const TCP_SYN_SENT = 1;
export const TCP_SYN_ACK_SENT = 2;
export const TCP_PARTIAL = 3;
export const TCP_ESTABLISHED = 4;
export const TCP_CLOSED = 5;
export const TCP_RESET = 6;

/** History bits (Zeek's HistoryMasks); the responder's are shifted left by 16. */
export const HIST_SYN_PKT = 0x1;
export const HIST_FIN_PKT = 0x2;
export const HIST_RST_PKT = 0x4;
export const HIST_FIN_RST_PKT = 0x8;
export const HIST_DATA_PKT = 0x10;
export const HIST_ACK_PKT = 0x20;
export const HIST_MULTI_FLAG_PKT = 0x40;
export const HIST_CORRUPT_PKT = 0x80;

/** Sequence jumps beyond this in SYN/RST packets are not trusted (Zeek's TOO_LARGE_SEQ_DELTA). */
export const TOO_LARGE_SEQ_DELTA = 1048576;

// The signed 32-bit distance a - b in sequence space (Zeek's seq_delta) is written `(a - b) | 0`
// where it is needed: a helper's uint32 arguments would be boxed on the heap at every call V8
// does not inline (tcp-session.ts).
