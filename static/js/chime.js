// A short chime made with WebAudio (no sound file to load): the agent's arrival bell and the client's
// speaker test. Browsers only play it after the page has had a click.
window.playChime = function (audio, { frequencies, spacing, peak, length }) {
  const now = audio.currentTime;
  frequencies.forEach((frequency, i) => {
    const at = now + i * spacing;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(peak, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    tone.connect(gain).connect(audio.destination);
    tone.start(at);
    tone.stop(at + length + 0.05);
  });
};
