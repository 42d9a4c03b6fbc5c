/** Replays the element's `flash` CSS animation, to show that its value just changed. */
export function flash(element: HTMLElement): void {
  element.classList.remove('flash');
  // Reading layout between removing and adding the class restarts the animation; without it the
  // browser coalesces both changes and nothing plays.
  void element.offsetWidth;
  element.classList.add('flash');
}
