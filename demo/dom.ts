/**
 * The element marked `data-testid="<testId>"` in the page, of the expected class.
 *
 * @throws Error when the page has no such element or it is of another class: the HTML and the code
 *   disagree, which is a bug to see at once rather than a silently dead control.
 */
export function byTestId<E extends Element>(
  testId: string,
  type: new () => E,
  root: ParentNode = document,
): E {
  const found = root.querySelector(`[data-testid="${testId}"]`);
  if (!(found instanceof type)) {
    const got = found === null ? 'nothing' : found.constructor.name;
    throw new Error(`byTestId(): expected a ${type.name} marked "${testId}", got ${got}`);
  }
  return found;
}

/** A new element with a class name, text and `data-testid`, each only when given. */
export function createElement<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { className?: string; text?: string; testId?: string } = {},
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className !== undefined) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  if (options.testId !== undefined) element.dataset['testid'] = options.testId;
  return element;
}
