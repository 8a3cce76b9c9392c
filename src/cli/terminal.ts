/** Whether output goes to a person at a terminal, who gets colour (https://no-color.org: any non-empty NO_COLOR turns it off). */
export function wantsColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}
