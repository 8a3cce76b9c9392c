/** The live source's one failure type: the server cannot be used as asked. Exit code 2, one line. */
export class LiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LiveError";
  }
}
