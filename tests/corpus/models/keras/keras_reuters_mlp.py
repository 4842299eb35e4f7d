from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation

max_words = 1000

model = Sequential()
model.add(Dense(512, input_shape=(max_words,)))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes))
model.add(Activation('softmax'))
