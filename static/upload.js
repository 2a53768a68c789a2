// Upload progress for the photo forms (form.upload). Without this script the
// forms post as usual; with it the page shows how much has been sent, refuses
// an oversized photo before sending it, and says so when the network drops.
(function () {
  function note(form, text, isError) {
    var p = form.querySelector('.upload-status');
    if (!p) {
      p = document.createElement('p');
      p.className = 'upload-status';
      p.setAttribute('role', 'status');
      form.appendChild(p);
    }
    p.textContent = text;
    p.classList.toggle('error', !!isError);
    return p;
  }

  function bar(form) {
    var b = form.querySelector('progress');
    if (!b) {
      b = document.createElement('progress');
      b.max = 100;
      b.value = 0;
      form.appendChild(b);
    }
    return b;
  }

  function bind(form) {
    form.addEventListener('submit', function (event) {
      var input = form.querySelector('input[type=file]');
      var file = input && input.files && input.files[0];
      if (!file || !window.FormData || !window.XMLHttpRequest) {
        return;
      }
      var max = parseInt(form.dataset.maxBytes || '0', 10);
      event.preventDefault();
      if (max && file.size > max) {
        note(form, '错误：图片大小不得大于' + Math.round(max / 1048576) + 'M，请重新选择', true);
        return;
      }
      var button = form.querySelector('button[type=submit]');
      var progress = bar(form);
      if (button) { button.disabled = true; }
      note(form, '正在上传 0%');
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable) {
          var pct = Math.round((e.loaded / e.total) * 100);
          progress.value = pct;
          note(form, pct < 100 ? '正在上传 ' + pct + '%' : '上传完成，正在检查照片…');
        }
      });
      xhr.addEventListener('load', function () {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
          // The server redirected to the updated page: show it.
          window.location.assign(xhr.responseURL);
          return;
        }
        // A refusal comes back as the page with the reason beside the upload.
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      function failed() {
        if (button) { button.disabled = false; }
        progress.value = 0;
        note(form, '错误：网络中断，照片未上传，请重试', true);
      }
      xhr.addEventListener('error', failed);
      xhr.addEventListener('abort', failed);
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll('form.upload').forEach(bind);
})();
