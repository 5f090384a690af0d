/** FIFO queue on a ring buffer: O(1) push/shift without Array.prototype.shift's copying. */
export class Deque<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  size = 0;

  push(v: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = v;
    this.size++;
  }

  peek(): T | undefined {
    return this.size ? this.buf[this.head] : undefined;
  }

  shift(): T | undefined {
    if (!this.size) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return v;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }

  private grow(): void {
    const nb: (T | undefined)[] = new Array(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) nb[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = nb;
    this.head = 0;
  }
}
