// Placeholder: the real demo (a chat UI over a sessionlog store) replaces this file.
const status = document.querySelector<HTMLParagraphElement>('#status');
if (status) {
  status.dataset.ready = 'true';
}
