// Shows a chosen photo before it is sent (the forms work without this script).
document.querySelectorAll('input[type=file][data-preview]').forEach(function (input) {
  input.addEventListener('change', function () {
    var img = document.getElementById(input.dataset.preview);
    if (img && input.files && input.files[0]) {
      img.src = URL.createObjectURL(input.files[0]);
      img.hidden = false;
    }
  });
});
